// Frame size and palette of the phone-plan video (「かさねモバイル」).
export const W = 1080;
export const H = 1920;

export const C = {
  bgTop: '#1a1340', bgMid: '#33205e', bgBottom: '#562a6a', // background gradient
  coral: '#ff7a93', peach: '#ffb98c',
  lilac: '#a595ff', lilacLight: '#d8d0ff',
  mint: '#5fe0c8', mintLight: '#bff6eb',
  gold: '#ffd77a', ink: '#1b1538', white: '#ffffff',
};
